import factory

from gongzhi.accounts.models import User

# One hash for every test user: hashing per user would cost ~0.3 s each.
_PASSWORD = "correct-horse-battery"
_HASH: list[str] = []


def _hashed() -> str:
    if not _HASH:
        from django.contrib.auth.hashers import make_password

        _HASH.append(make_password(_PASSWORD))
    return _HASH[0]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"测试用户{n}")
    password = factory.LazyFunction(_hashed)


PASSWORD = _PASSWORD
