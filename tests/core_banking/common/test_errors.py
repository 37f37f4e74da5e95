"""A domain error's extra members never replace the problem's own."""

from core_banking.common.errors import Conflict


def test_extra_members_never_overwrite_the_problem():
    problem = Conflict("closed", status="draft", code="mine", loan=3).as_problem()
    assert (problem["status"], problem["code"], problem["detail"]) == (409, "conflict", "closed")
    assert (problem["status_detail"], problem["code_detail"], problem["loan"]) == ("draft", "mine", 3)
