"""Forms of the knowledge pages."""
from django import forms

from core import inputs


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label="Token name", max_length=100,
        error_messages={"required": "Name the token after what will use it, so you can tell it apart later.",
                        "max_length": "Keep the name to 100 characters or fewer (it has %(show_value)d)."},
        widget=forms.TextInput(attrs={"placeholder": "What is it for? (e.g. my agent)", "autocomplete": "off"}),
    )

    def clean_name(self) -> str:
        name = inputs.text(self.cleaned_data["name"], limit=1000)
        if not name:
            raise forms.ValidationError(self.fields["name"].error_messages["required"])
        return name
