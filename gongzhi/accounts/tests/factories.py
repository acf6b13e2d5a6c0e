import factory

from gongzhi.accounts.models import User

# One hash for every test user: hashing per user would cost ~0.3 s each. One per hasher setting: a test that
# switches to a fast hasher (settings.PASSWORD_HASHERS) must not leave its hash to later tests, whose hashers cannot
# read it (every password check of theirs would fail, depending on which test ran first in the process).
_PASSWORD = "correct-horse-battery"
_HASH: dict[tuple[str, ...], str] = {}


def _hashed() -> str:
    from django.conf import settings
    from django.contrib.auth.hashers import make_password

    hashers = tuple(settings.PASSWORD_HASHERS)
    if hashers not in _HASH:
        _HASH[hashers] = make_password(_PASSWORD)
    return _HASH[hashers]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"测试用户{n}")
    password = factory.LazyFunction(_hashed)


PASSWORD = _PASSWORD
