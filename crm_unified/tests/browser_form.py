"""Read an HTML form the way a browser submits it (for portal form tests).

Tests of portal forms post what the page offers, not hand-made values: render
the page, read the form with this helper, change what the customer changes,
post the result.
"""

import lxml.html

# Input types a browser never submits by themselves.
NOT_SUBMITTED_TYPES = ("submit", "button", "reset", "image", "file")


def browser_form_values(html, action):
    """Values a browser submits for the form whose action is `action`.

    Follows the HTML form submission rules: disabled and unnamed controls are
    left out; checkboxes and radios only when checked ("on" without a value
    attribute); a select posts its selected option, or its first option when
    none is selected, and an option without a value attribute posts its text;
    a text input without a value attribute posts an empty string.

    :param str html: the page
    :param str action: the form's action attribute, e.g. "/my/preferences"
    :return: dict {name: value} (last value wins for repeated names)
    :raises AssertionError: when the page has no such form
    """
    document = lxml.html.fromstring(html)
    forms = [form for form in document.forms if form.get("action") == action]
    assert forms, f"no form posting to {action} on the page"
    values = {}
    for element in forms[0].inputs:
        name = element.get("name")
        if not name or element.get("disabled") is not None:
            continue
        if element.tag == "select":
            options = [opt for opt in element.iter("option") if opt.get("disabled") is None]
            selected = [opt for opt in options if opt.get("selected") is not None]
            chosen = (selected or options)[:1]
            if chosen:
                option = chosen[0]
                value = option.get("value")
                values[name] = (
                    value if value is not None else " ".join(option.text_content().split())
                )
            continue
        if element.tag == "textarea":
            values[name] = element.text or ""
            continue
        input_type = (element.get("type") or "text").lower()
        if input_type in NOT_SUBMITTED_TYPES:
            continue
        if input_type in ("checkbox", "radio"):
            if element.get("checked") is not None:
                values[name] = element.get("value", "on")
            continue
        values[name] = element.get("value", "")
    return values
