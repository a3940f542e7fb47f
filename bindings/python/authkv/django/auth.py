"""Personal access tokens in Django: ``BearerTokenMiddleware`` and the
``abilities_required`` view decorator.

Browser requests keep Django's own session, login and CSRF machinery; a
request with ``Authorization: Bearer <token>`` is authenticated by authkv
instead, as its token's user with the token's abilities.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Iterable, Optional, TypeVar

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, JsonResponse

from ..errors import AuthkvError, Unauthenticated
from ..records import Principal
from . import get_engine

View = TypeVar("View", bound=Callable[..., HttpResponse])

#: What a refusal says to the client, by HTTP status; the library's own
#: message is for logs.
MESSAGES = {
    401: "Unauthenticated.",
    403: "Forbidden.",
    419: "CSRF token mismatch.",
    429: "Too Many Attempts.",
}


def error_response(error: AuthkvError) -> HttpResponse:
    """The JSON answer to a refusal, with ``error.http_status``; a 429 says
    when to come back in ``Retry-After`` when the wait is known (a token
    over its rate limit, or a quota that refills)."""
    status = error.http_status
    response = JsonResponse({"message": MESSAGES.get(status, "Request refused.")}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = "Bearer"
    retry_after = getattr(error, "retry_after", None)
    if status == 429 and retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def _is_bearer(header: str) -> bool:
    return header.strip().partition(" ")[0].lower() == "bearer"


class BearerTokenMiddleware:
    """Authenticates ``Authorization: Bearer`` personal access tokens.

    With a bearer header, ``request.user`` becomes the token's user (loaded
    through Django's user model) and ``request.authkv`` the
    ``authkv.Principal`` (``.abilities``, ``.token_id``, ``.require()``);
    a token that is not valid, or whose user is gone or inactive, is
    answered 401 at once, and a token over its rate limit or quota 429
    (with ``Retry-After`` when the wait is known). Such requests are exempt
    from Django's CSRF check: a browser never attaches the header by
    itself. Without the header nothing changes. Place it after
    ``AuthenticationMiddleware``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if _is_bearer(header):
            try:
                # Only the header: cookies are Django's business here.
                principal = get_engine().authenticate(
                    request.method or "GET", {"Authorization": header}
                )
                user = _active_user(principal.user_id)
            except AuthkvError as error:
                return error_response(error)
            request.user = user
            request.authkv = principal
            request._dont_enforce_csrf_checks = True
        return self.get_response(request)


def _active_user(user_id: int) -> Any:
    model = get_user_model()
    user = model._default_manager.filter(pk=user_id).first()
    if user is None or not getattr(user, "is_active", True):
        raise Unauthenticated(103, f"the token's user {user_id} does not exist or is inactive")
    return user


def abilities_required(*abilities: str, any: Iterable[str] = ()) -> Callable[[View], View]:  # noqa: A002
    """A view decorator: 401 unless the request has a user, 403 unless a
    token request's token grants every one of ``abilities`` (and one of
    ``any``, when given). A user logged in through the session has every
    ability, as Sanctum treats a first-party session."""
    one_of = tuple(any)

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            principal: Optional[Principal] = getattr(request, "authkv", None)
            try:
                if principal is not None:
                    principal.require(all=abilities, any=one_of)
                elif not request.user.is_authenticated:
                    raise Unauthenticated(103, "no session user and no bearer token")
            except AuthkvError as error:
                return error_response(error)
            return view(request, *args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate
