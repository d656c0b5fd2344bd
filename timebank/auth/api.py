"""Signing in to the API and managing one's own password: ``/api/v1/auth/…``."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, request

from timebank.api import ApiBlueprint, current_principal, no_content
from timebank.auth import services
from timebank.auth.access import ROLES, allow
from timebank.auth.schemas import PasswordChangeSchema, PrincipalSchema, TokenRequestSchema, TokenSchema
from timebank.db import get_db

blp = ApiBlueprint("auth", __name__, description="Signing in with a token, and one's own password")


@blp.post("/auth/tokens")
@allow(public=True)
@blp.arguments(TokenRequestSchema)
@blp.response(201, TokenSchema, description="the token and when it expires")
@blp.refuses(401, "unauthorized: the username or the password is wrong, or the user is inactive")
@blp.refuses(429, "too_many_attempts: too many failed attempts; see Retry-After")
def create_token(data):
    """Sign in with a username and password and get a bearer token

    Failed attempts are throttled per username and address (after 5 failures within 15 minutes that pair waits),
    with a growing delay for addresses that keep failing on one username, and per address alone at a much higher
    bound; a throttled attempt is answered 429 with a Retry-After header. A password change ends every token of the user.
    """
    ttl = timedelta(seconds=int(current_app.config.get("TOKEN_TTL_SECONDS") or 12 * 3600))
    token, expires_at = services.issue_token(get_db(), username=data["username"], password=data["password"],
                                             address=request.remote_addr, ttl=ttl)
    return {"token": token, "expires_at": expires_at}


@blp.delete("/auth/tokens/current")
@allow(*ROLES, allow_pending_password=True)
@blp.response(204, description="the token no longer works")
def revoke_current_token():
    """End the bearer token this request carries (sign out)"""
    current_principal()
    _scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    services.revoke_token(get_db(), token.strip())
    return no_content()


@blp.get("/auth/me")
@allow(*ROLES, allow_pending_password=True)
@blp.response(200, PrincipalSchema, description="the caller")
def who_am_i():
    """The signed-in user, their role and centers"""
    principal = current_principal()
    return {**principal.__dict__, "supervised_center_ids": sorted(principal.supervised_center_ids)}


@blp.post("/auth/password")
@allow(*ROLES, allow_pending_password=True)
@blp.arguments(PasswordChangeSchema)
@blp.response(204, description="changed; sign in again with the new password")
@blp.refuses(429, "too_many_attempts: too many wrong current passwords; see Retry-After")
def change_password(data):
    """Change your own password (ends all your tokens and sessions, this one included)"""
    services.change_password(get_db(), principal=current_principal(), current_password=data["current_password"],
                             new_password=data["new_password"], address=request.remote_addr)
    return no_content()
