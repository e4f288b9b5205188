from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from gridgov.bulk.enums import JobStatus
from gridgov.bulk.models import ImportJob
from gridgov.registry.models import Address, ChangeRecord, Resident
from tests.bulk.conftest import write_csv

pytestmark = pytest.mark.django_db


def test_it_imports_valid_residents_encrypted_findable_and_placed_in_their_grid(world, rows, tmp_path):
    data = [rows.resident() for _ in range(30)]
    path = write_csv(tmp_path / "r.csv", "residents", data)
    call_command("import", "residents", str(path), "--quiet", "--batch-size", "100")
    job = ImportJob.objects.get()
    assert job.status == JobStatus.DONE
    assert job.imported_rows == 30 and job.error_rows == 0
    field = Resident._meta.get_field("id_number")
    one = Resident.objects.get(id_number_index=field.index_for(data[7]["id_number"]))
    assert one.id_number == data[7]["id_number"]
    assert one.phone == data[7]["phone"]
    assert one.grid_id == world.grid.pk and one.community_id == world.community.pk
    assert one.address is not None and one.address.grid_id == world.grid.pk
    assert one.address.text.endswith(
        f"张掖路{data[7]['number']}号{data[7]['building']}栋1单元{data[7]['room']}"
    )
    assert Address.objects.count() == len({(r["number"], r["building"], r["room"]) for r in data})
    record = ChangeRecord.objects.get(batch=str(job.pk))
    assert (record.register, record.action, record.actor) == ("resident", "import", None)
    assert record.after["rows"] == 30 and (record.after["first_row"], record.after["last_row"]) == (2, 31)


@pytest.mark.sqlite  # PostgreSQL runs the bulk load: tests/bulk/test_bulk_load.py
@pytest.mark.django_db
def test_a_forced_bulk_load_is_refused_on_sqlite(rows, tmp_path):
    path = write_csv(tmp_path / "r.csv", "residents", [rows.resident()])
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("import", "residents", str(path), "--quiet", "--load", "rebuild")
    assert not ImportJob.objects.exists()
