"""Save-time checks of campaign message templates.

Rendering depends on each customer's data and is checked per delivery at send
time; what can be caught at save time are syntax errors: expressions that do
not parse and bodies that are not valid HTML/QWeb.
"""

from lxml import etree, html

from odoo.tools.rendering_tools import parse_inline_template
from odoo.tools.safe_eval import test_python_expr

# Fields of rules and variants that hold a template, and their rendering engine.
TEMPLATE_FIELDS = {
    "email_subject": "inline_template",
    "email_body_html": "qweb",
    "sms_body": "inline_template",
}
# Campaign messages are rendered on the delivery (``object`` in the templates).
RENDER_MODEL = "crm.campaign.delivery"

QWEB_EXPRESSION_ATTRIBUTES = ("t-out", "t-esc", "t-if", "t-elif", "t-foreach", "t-att", "t-value")


def has_unsafe_expression(record):
    """True when a template field of ``record`` (a rule or a variant) holds code
    beyond the plain placeholders Odoo lets every user write, judged by
    mail.render.mixin exactly as it judges mail.template."""
    for fname, engine in TEMPLATE_FIELDS.items():
        value = record[fname]
        if engine == "qweb":
            unsafe = record._has_unsafe_expression_template_qweb(value, RENDER_MODEL)
        else:
            unsafe = record._has_unsafe_expression_template_inline_template(value, RENDER_MODEL)
        if unsafe:
            return True
    return False


def inline_template_errors(env, template):
    """Syntax errors of the ``{{ expression }}`` parts of an inline template."""
    errors = []
    for _text, expression, _default in parse_inline_template(template or ""):
        if expression:
            message = test_python_expr(expression.strip(), mode="eval")
            if message:
                errors.append(f"{{{{ {expression.strip()} }}}}: {message.strip()}")
    if "{{" in "".join(text for text, _expr, _default in parse_inline_template(template or "")):
        errors.append(env._("An opening {{ has no closing }}."))
    return errors


def qweb_template_errors(template):
    """Errors of a QWeb body: HTML that does not parse, expressions that do not."""
    if not template:
        return []
    try:
        root = html.fragment_fromstring(template, create_parent="div")
    except (etree.ParserError, ValueError) as error:
        return [str(error)]
    errors = []
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        for attribute, value in node.attrib.items():
            if attribute in QWEB_EXPRESSION_ATTRIBUTES or attribute.startswith("t-att-"):
                message = test_python_expr(value, mode="eval")
                if message:
                    errors.append(f'{attribute}="{value}": {message.strip()}')
    return errors
