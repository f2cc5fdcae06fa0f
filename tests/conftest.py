"""Cross-addon suite: runs through pytest-odoo on a database where the three
CRM Unified addons are installed (scripts/test.sh prepares it)."""
