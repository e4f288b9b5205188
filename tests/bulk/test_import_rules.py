from __future__ import annotations

import contextlib

import pytest
from django.core.management import CommandError, call_command

from gridgov.bulk.enums import JobStatus
from gridgov.bulk.models import ImportIssue, ImportJob
from gridgov.registry.models import Address, Organization, Resident
from tests.bulk.conftest import inside, make_usc, write_csv

pytestmark = pytest.mark.django_db


def _import(path, *extra: str) -> ImportJob:
    with contextlib.suppress(CommandError):
        call_command("import", "residents", str(path), "--quiet", "--mode", "valid_rows", *extra)
    return ImportJob.objects.order_by("-pk").first()


def _issue(job: ImportJob, row: int) -> ImportIssue:
    return job.issues.get(row=row)


def test_a_wrong_check_digit_is_reported_on_its_row_with_the_number_masked(rows, tmp_path):
    good, bad = rows.resident(), rows.resident()
    number = bad["id_number"]
    bad["id_number"] = number[:17] + ("0" if number[17] != "0" else "1")
    job = _import(write_csv(tmp_path / "r.csv", "residents", [good, bad]))
    issue = _issue(job, 3)
    assert issue.code == "id_number_checksum" and issue.column == "公民身份号码"
    assert issue.value == number[:4] + "*" * 10 + bad["id_number"][-4:]
    assert "校验位错误" in issue.message
    assert job.imported_rows == 1 and job.error_rows == 1
    assert Resident.objects.count() == 1


def test_a_missing_required_field_is_reported_and_the_row_skipped(rows, tmp_path):
    job = _import(write_csv(tmp_path / "r.csv", "residents", [rows.resident(name=""), rows.resident()]))
    issue = _issue(job, 2)
    assert (issue.code, issue.column) == ("required", "姓名")
    assert Resident.objects.count() == 1


def test_a_value_outside_the_enum_is_reported_with_the_allowed_values(rows, tmp_path):
    job = _import(write_csv(tmp_path / "r.csv", "residents", [rows.resident(kind="常住")]))
    issue = _issue(job, 2)
    assert issue.code == "bad_choice" and "户籍人口、流动人口、境外人员" in issue.message
    assert Resident.objects.count() == 0


def test_the_short_form_of_an_enum_label_is_accepted(rows, tmp_path):
    job = _import(write_csv(tmp_path / "r.csv", "residents", [rows.resident(kind="流动", relation="配偶")]))
    assert job.imported_rows == 1
    assert Resident.objects.get().kind == "migrant"


def test_a_twin_within_the_file_is_reported_against_the_first_row(rows, tmp_path):
    first = rows.resident()
    twin = rows.resident(id_number=first["id_number"])
    job = _import(write_csv(tmp_path / "r.csv", "residents", [first, rows.resident(), twin]))
    issue = _issue(job, 4)
    assert issue.code == "duplicate_in_file" and "第 2 行" in issue.message
    assert Resident.objects.count() == 2


def test_a_person_already_in_the_database_is_reported_not_added_again(rows, tmp_path):
    first = rows.resident()
    _import(write_csv(tmp_path / "a.csv", "residents", [first]))
    job = _import(write_csv(tmp_path / "b.csv", "residents", [rows.resident(), first]))
    assert _issue(job, 3).code == "duplicate_in_database"
    assert Resident.objects.count() == 2


def test_a_point_outside_every_grid_or_an_unknown_community_is_unresolvable(rows, world, tmp_path):
    far = rows.resident(lon="100.0", lat="30.0")
    elsewhere_lon, elsewhere_lat = inside(world.far_grid)
    wrong = rows.resident(lon=str(elsewhere_lon), lat=str(elsewhere_lat))
    unknown = rows.resident(community="620102999999")
    job = _import(write_csv(tmp_path / "r.csv", "residents", [far, wrong, unknown]))
    codes = dict(job.issues.values_list("row", "code"))
    assert codes == {2: "unresolvable", 3: "unresolvable", 4: "community_unknown"}
    assert "不属于所填社区" in _issue(job, 3).message
    assert Resident.objects.count() == 0 and Address.objects.count() == 0


def test_without_coordinates_a_row_takes_the_grid_of_its_building(rows, world, tmp_path):
    placed = rows.resident(number="88")
    unplaced = rows.resident(number="88", lon="", lat="")
    job = _import(write_csv(tmp_path / "r.csv", "residents", [placed, unplaced]))
    assert job.imported_rows == 2
    assert set(Resident.objects.values_list("grid_id", flat=True)) == {world.grid.pk}


def test_all_or_nothing_writes_nothing_when_one_row_is_bad(rows, tmp_path):
    data = [rows.resident() for _ in range(5)] + [rows.resident(kind="?")]
    path = write_csv(tmp_path / "r.csv", "residents", data)
    with pytest.raises(CommandError):
        call_command("import", "residents", str(path), "--quiet", "--mode", "all_or_nothing")
    job = ImportJob.objects.get()
    assert job.status == JobStatus.REJECTED and job.error_rows == 1 and job.total_rows == 6
    assert Resident.objects.count() == 0 and Address.objects.count() == 0


def test_valid_rows_mode_writes_the_valid_rows_of_the_same_file(rows, tmp_path):
    data = [rows.resident() for _ in range(5)] + [rows.resident(kind="?")]
    job = _import(write_csv(tmp_path / "r.csv", "residents", data))
    assert job.status == JobStatus.DONE and job.imported_rows == 5 and job.error_rows == 1
    assert Resident.objects.count() == 5


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("people.txt.exe", b"abc", "不支持的文件类型"),
        ("people.xlsx", b"name,id\n", "不是 Excel"),
        ("people.csv", b"", "文件为空"),
        ("people.csv", "姓名,电话号码\n张三,1\n".encode(), "无法识别的列"),
        ("people.csv", "姓名,人口类型\n张三,户籍\n".encode(), "缺少必填列"),
    ],
)
def test_a_wrong_file_is_refused_before_anything_is_queued(tmp_path, world, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        call_command("import", "residents", str(path), "--quiet")
    assert ImportJob.objects.count() == 0


def test_an_organization_file_is_checked_against_gb_32100(world, tmp_path, rows):
    lon, lat = rows.point
    base = {
        "name": "兰州测试商贸有限公司",
        "kind": "企业",
        "community": world.community.code,
        "road": "庆阳路",
        "number": "5",
        "lon": str(lon),
        "lat": str(lat),
    }
    good = {**base, "usc_code": make_usc(rows.rng)}
    bad = {**base, "usc_code": good["usc_code"][:17] + ("0" if good["usc_code"][17] != "0" else "1")}
    path = write_csv(tmp_path / "o.csv", "organizations", [good, bad])
    call_command("import", "organizations", str(path), "--quiet", "--mode", "valid_rows")
    job = ImportJob.objects.get()
    assert job.imported_rows == 1
    assert job.issues.get().code == "usc_code_checksum"
    assert Organization.objects.get().address.grid_id == rows.world.grid.pk


def test_addresses_and_houses_import_and_a_house_needs_its_own_address(world, tmp_path, rows):
    lon, lat = rows.point
    addr = {
        "community": world.community.code,
        "road": "酒泉路",
        "number": "7",
        "building": "2",
        "unit": "1",
        "room": "502",
        "lon": str(lon),
        "lat": str(lat),
    }
    call_command("import", "addresses", str(write_csv(tmp_path / "a.csv", "addresses", [addr])), "--quiet")
    assert Address.objects.get().grid_id == world.grid.pk
    house = {**addr, "use": "出租", "ownership": "私有产权", "area_m2": "76.5"}
    path = write_csv(tmp_path / "h.csv", "houses", [house, {**house, "area_m2": "80"}])
    call_command("import", "houses", str(path), "--quiet", "--mode", "valid_rows")
    job = ImportJob.objects.order_by("-pk").first()
    assert job.imported_rows == 1 and job.issues.get().code == "duplicate_in_file"
    assert Address.objects.count() == 1
    assert Address.objects.get().house.use == "rented"


def test_a_page_upload_over_the_size_limit_is_refused_with_the_cli_named():
    from gridgov.bulk.readers import MAX_UPLOAD_BYTES, check_size
    from gridgov.core.errors import InvalidInput

    check_size(MAX_UPLOAD_BYTES)
    with pytest.raises(InvalidInput) as refused:
        check_size(MAX_UPLOAD_BYTES + 1)
    assert refused.value.message_zh.startswith("文件过大(200.0 MB),上限 200 MB")
    assert "gridgov import" in refused.value.message_zh


def test_a_csv_saved_by_chinese_excel_in_gb18030_imports(rows, tmp_path):
    from gridgov.bulk.columns import columns_for

    person = rows.resident(name="欧阳娜娜")
    cols = columns_for("residents")
    text = ",".join(c.header for c in cols) + "\r\n" + ",".join(person.get(c.key, "") for c in cols) + "\r\n"
    path = tmp_path / "gbk.csv"
    path.write_bytes(text.encode("gb18030"))
    call_command("import", "residents", str(path), "--quiet")
    assert Resident.objects.get().name == "欧阳娜娜"
