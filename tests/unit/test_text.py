"""Vietnamese sorting as lists print it (LISTS.md: by given name, then the rest)."""

from inspect_api.text import person_order, vietnamese_order


def test_people_sort_by_given_name_then_family_and_middle_names():
    names = ["Nguyễn Thị Bình", "Trần Văn An", "Đỗ Thị Ân", "Lê Văn An", "Phạm Ánh", "Lê Đức Anh"]
    assert sorted(names, key=person_order) == [
        "Lê Văn An", "Trần Văn An", "Lê Đức Anh", "Phạm Ánh", "Đỗ Thị Ân", "Nguyễn Thị Bình"]
    # By family name this would have been another order: the test can tell them apart.
    assert sorted(names, key=vietnamese_order) != sorted(names, key=person_order)


def test_odd_names_still_sort():
    assert person_order("") == person_order("   ")
    assert sorted(["An", "  Bình  ", ""], key=person_order) == ["", "An", "  Bình  "]
