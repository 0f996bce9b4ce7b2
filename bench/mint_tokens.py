"""Access tokens for many users, made the way a login makes them, without a password hash.

    <emails as a JSON array on stdin> | python bench/mint_tokens.py > tokens.json

bench/run.py runs this with the product server's own environment (settings
`bench.production_settings`, the same DJANGO_SECRET_KEY and JWT_ACCESS_TOKEN_MINUTES), so
the server accepts the tokens. Each one comes from the product's token service,
`accounts.services.login.token_pair_issue` (what `POST /api/v1/auth/token/` returns once
the password is right): the same claims, including the password-hash revocation claim,
an outstanding refresh token and a `last_login` stamp. 500 logins would cost 500 Argon2
hashes (~50 s on 2 cores); this costs two small writes per user. Prints a JSON array of
access tokens, in the order of the emails.
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.production_settings")


def main() -> int:
    import django

    django.setup()
    from django.db import transaction

    from accounts.models import User
    from accounts.services.login import token_pair_issue

    emails = json.load(sys.stdin)
    users = User.objects.in_bulk(emails, field_name="email")
    missing = [email for email in emails if email not in users]
    if missing:
        print(f"no such users: {missing[:5]} ({len(missing)} in all)", file=sys.stderr)
        return 1
    with transaction.atomic():
        tokens = [token_pair_issue(user=users[email])["access"] for email in emails]
    json.dump(tokens, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
