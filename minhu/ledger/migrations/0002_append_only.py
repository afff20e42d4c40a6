"""Entries and disclosures are never rewritten: database triggers refuse it whatever code runs the SQL."""

from django.db import migrations

from minhu.core.dbguards import append_only


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [append_only("ledger_entry"), append_only("ledger_disclosure")]
