from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def duration_words(value: timedelta | None) -> str:
    """`timedelta(hours=1, minutes=30)` -> "1 hour 30 minutes" (for the lockout page)."""
    if not value:
        return ""
    total_minutes = max(1, round(value.total_seconds() / 60))
    hours, minutes = divmod(total_minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)


@register.filter
def role_label(role: str) -> str:
    """`compliance_officer` -> "Compliance officer"."""
    return role.replace("_", " ").capitalize()


@register.filter
def get_item(mapping, key):
    """``{{ mapping|get_item:key }}`` for a dict in a template."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def absolute(value):
    """``-12.5|absolute`` -> ``12.5`` (credits shown in a credit column)."""
    try:
        return abs(value)
    except TypeError:
        return value
