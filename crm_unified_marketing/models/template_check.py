"""Save-time checks of campaign message templates.

Rendering depends on each customer's data and is checked per delivery at send
time; what can be caught at save time are syntax errors: expressions that do
not parse and bodies that are not valid HTML/QWeb.
"""

from lxml import etree, html

from odoo.tools.rendering_tools import parse_inline_template
from odoo.tools.safe_eval import test_python_expr

QWEB_EXPRESSION_ATTRIBUTES = ("t-out", "t-esc", "t-if", "t-elif", "t-foreach", "t-att", "t-value")


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
