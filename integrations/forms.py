"""Forms of the integrations pages."""
from django import forms


class ApiTokenForm(forms.Form):
    email = forms.EmailField(label="Atlassian account email")
    token = forms.CharField(label="API token", widget=forms.PasswordInput(render_value=False), max_length=4096)
