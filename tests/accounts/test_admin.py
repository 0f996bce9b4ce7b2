import pytest

pytestmark = pytest.mark.django_db


def test_admin_user_list_is_searchable(staff_client, user, other_user):
    html = staff_client.get("/admin/accounts/user/?q=ann").content.decode()
    assert "ann@example.com" in html
    assert "bob@example.com" not in html


def test_admin_user_list_filters_by_staff(staff_client, user):
    html = staff_client.get("/admin/accounts/user/?is_staff__exact=1").content.decode()
    assert "root@example.com" in html
    assert "ann@example.com" not in html


def test_admin_creates_a_user_with_a_lower_cased_email(staff_client):
    response = staff_client.post(
        "/admin/accounts/user/add/",
        {
            "email": "Staffed@Example.com",
            "full_name": "Staffed",
            "password1": "plum-orchard-47-violet",
            "password2": "plum-orchard-47-violet",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    from accounts.models import User

    assert User.objects.filter(email="staffed@example.com").exists()


def test_admin_is_closed_to_non_staff(client, user):
    client.force_login(user)
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 302
    assert "/admin/login/" in response.url
