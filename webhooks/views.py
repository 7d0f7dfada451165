"""The receiving endpoint: verify on the raw body, store once, enqueue, answer in milliseconds."""
from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from webhooks.services import DeliveryRejected, delivery_receive


@csrf_exempt
@require_POST
def receive(request: HttpRequest, hook_id) -> JsonResponse:
    try:
        delivery, is_new = delivery_receive(hook_id=hook_id, body=request.body, headers=request.headers)
    except DeliveryRejected as exc:
        return JsonResponse({"error": exc.message}, status=exc.status)
    # A repeat of a delivery we already have is a success for Bitbucket: no retry, no reprocessing.
    return JsonResponse({"status": "accepted" if is_new else "duplicate", "delivery": delivery.pk}, status=202 if is_new else 200)
