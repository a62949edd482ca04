"""A contract's dispute outcome (SPEC §9), which the Job Success Score reads (SPEC §11);
every existing contract had none decided."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("contracts", "0005_links_from_ledger")]

    operations = [
        migrations.AddField(
            model_name="contract",
            name="dispute_decision",
            field=models.CharField(
                choices=[
                    ("none", "No dispute decided"),
                    ("for_freelancer", "Decided for the freelancer"),
                    ("against_freelancer", "Decided against the freelancer"),
                    ("split", "Split between the two sides"),
                ],
                default="none",
                max_length=20,
            ),
        ),
        migrations.AddConstraint(
            model_name="contract",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "dispute_decision__in",
                        ["none", "for_freelancer", "against_freelancer", "split"],
                    )
                ),
                name="contract_dispute_decision_known",
            ),
        ),
    ]
