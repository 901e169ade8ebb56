from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Every form field renders through templates/forms/field.html: one wrapper, one look."""

    form_template_name = "forms/div.html"
    field_template_name = "forms/field.html"
