"""Create (or reset the password of) a signed-up user, for `make demo`."""
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create or update a verified demo user."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)

    def handle(self, *args, email: str, password: str, **options):
        user, created = get_user_model().objects.get_or_create(username=email.split("@")[0], defaults={"email": email})
        user.email = email
        user.set_password(password)
        user.save()
        EmailAddress.objects.update_or_create(user=user, email=email, defaults={"primary": True, "verified": True})
        self.stdout.write(f"{'Created' if created else 'Updated'} {email}")
