import factory

from tasks.models import Note, Tag, Task
from tests.accounts.factories import UserFactory


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"tag{n}")


class TaskFactory(factory.django.DjangoModelFactory):
    """A task row written directly; tests of the rules go through tasks.services."""

    class Meta:
        model = Task
        skip_postgeneration_save = True

    owner = factory.SubFactory(UserFactory)
    title = factory.Faker("sentence", nb_words=4)
    description = factory.Faker("paragraph")

    @factory.post_generation
    def tags(self, create, names, **kwargs):
        if create and names:
            self.tags.set([Tag.objects.get_or_create(owner=self.owner, name=n)[0] for n in names])


class NoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Note

    owner = factory.SubFactory(UserFactory)
    title = factory.Faker("sentence", nb_words=3)
    body = factory.Faker("paragraph")
