from django.db import migrations, models

# Each history row added moves the kept loans it concerns on: a loan's latest row after its snapshot's month end
# (one a night at most, delinquency_history_one_per_night) is where the current month has taken it. One UPDATE per
# statement from its transition table (a nightly chunk's rows), so the kept figures cannot miss a row whichever way
# it was written.
LATEST = """
CREATE FUNCTION servicing_roll_rates_history_latest() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE servicing_rollratesnapshotloan k
    SET latest_bucket = a.bucket_to, latest_on = a.as_of
    FROM (SELECT DISTINCT ON (loan_id) loan_id, as_of, bucket_to FROM added ORDER BY loan_id, as_of DESC) AS a
    WHERE k.loan_id = a.loan_id AND a.as_of > k.month_end AND (k.latest_on IS NULL OR a.as_of > k.latest_on);
    RETURN NULL;
END $$;

CREATE TRIGGER roll_rates_history_latest AFTER INSERT ON servicing_delinquencyhistory
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION servicing_roll_rates_history_latest();
"""

UNLATEST = """
DROP TRIGGER roll_rates_history_latest ON servicing_delinquencyhistory;
DROP FUNCTION servicing_roll_rates_history_latest();
"""


def install(apps, schema_editor):
    # What was kept before this migration has no latest buckets: dropped, the next keep (02:45) counts it again;
    # until then the dashboard counts from the whole history, as it does whenever nothing is kept.
    apps.get_model("servicing", "RollRateSnapshotLoan").objects.all().delete()
    apps.get_model("servicing", "RollRateSnapshot").objects.all().delete()
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(LATEST)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNLATEST)


class Migration(migrations.Migration):

    dependencies = [
        ("servicing", "0042_journal_balance_check_per_statement"),
    ]

    operations = [
        migrations.AddField(
            model_name="rollratesnapshotloan",
            name="latest_bucket",
            field=models.CharField(default="", max_length=8),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="rollratesnapshotloan",
            name="latest_on",
            field=models.DateField(null=True),
        ),
        migrations.AddIndex(
            model_name="rollratesnapshotloan",
            index=models.Index(fields=["loan_id"], name="roll_rate_snapshot_loan_id_idx"),
        ),
        migrations.RunPython(install, remove),
    ]
