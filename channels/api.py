"""The dev outbox for scripts: list what would have been sent, and play the lead or provider."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from channels import selectors
from channels.outbox import simulate
from channels.serializers import MessageOut, OutboxFilterIn, SimulateIn, SimulateOut
from leadfollow.api import WorkspaceAPIView
from leadfollow.pagination import Cursor


class OutboxView(WorkspaceAPIView):
    def get(self, request: Request) -> Response:
        filters = OutboxFilterIn(data=request.query_params)
        filters.is_valid(raise_exception=True)
        messages = selectors.outbox_messages(
            workspace=request.workspace, channel=filters.validated_data.get("channel", "")
        )
        paginator = Cursor()
        page = paginator.paginate_queryset(messages, request, view=self)
        return paginator.get_paginated_response(MessageOut(page, many=True).data)


class OutboxSimulateView(WorkspaceAPIView):
    def post(self, request: Request, message_id: int) -> Response:
        message = selectors.outbox_message(workspace=request.workspace, message_id=message_id)
        body = SimulateIn(data=request.data)
        body.is_valid(raise_exception=True)
        result = simulate(
            workspace=request.workspace,
            message=message,
            event=body.validated_data["event"],
            text=body.validated_data.get("text", ""),
        )
        message.refresh_from_db()
        out = {"event": result.event, "webhook_status": result.answer.status, "message": message}
        return Response(SimulateOut(out).data)
