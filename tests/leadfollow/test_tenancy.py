import pytest

from leadfollow.models import Membership
from leadfollow.tenancy import ScopeError, active_workspace_id, unscoped, workspace_scope
from tests.factories import MembershipFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db


def test_unscoped_query_on_tenant_model_raises():
    MembershipFactory()
    with pytest.raises(ScopeError):
        list(Membership.objects.all())


def test_scoped_query_sees_only_its_workspace(workspace, other_workspace):
    mine = MembershipFactory(workspace=workspace)
    MembershipFactory(workspace=other_workspace)
    with workspace_scope(workspace):
        assert list(Membership.objects.all()) == [mine]


def test_get_by_id_of_other_workspace_row_fails_inside_scope(workspace, other_workspace):
    foreign = MembershipFactory(workspace=other_workspace)
    with workspace_scope(workspace), pytest.raises(Membership.DoesNotExist):
        Membership.objects.get(pk=foreign.pk)


def test_workspace_scope_refuses_an_unsaved_workspace():
    with pytest.raises(ScopeError), workspace_scope(WorkspaceFactory.build()):
        pass


def test_unscoped_block_reads_every_workspace(workspace, other_workspace):
    MembershipFactory(workspace=workspace)
    MembershipFactory(workspace=other_workspace)
    with unscoped():
        assert Membership.objects.count() == 2


def test_active_workspace_id_names_the_open_scope(workspace):
    with workspace_scope(workspace):
        assert active_workspace_id() == workspace.pk
    assert active_workspace_id() is None
