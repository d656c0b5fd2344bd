"""``/api/v1/users`` (SPEC §8). Each view: load, one service, dump."""
from __future__ import annotations

from timebank.api import ApiBlueprint, current_principal
from timebank.auth.access import allow
from timebank.db import get_db
from timebank.users import services
from timebank.users.permissions import MANAGE_USERS, MANAGE_VOLUNTEER_LOGINS, READ_USER
from timebank.users.schemas import (
    NewUserSchema,
    UserCreateSchema,
    UserListQuerySchema,
    UserPageSchema,
    UserSchema,
    UserUpdateSchema,
)

blp = ApiBlueprint("users", __name__, description="Who may sign in, with which role")


@blp.post("/users")
@allow(MANAGE_USERS)
@blp.arguments(UserCreateSchema)
@blp.response(201, NewUserSchema, description="the new user (with one_time_password when it was generated)")
@blp.refuses(409, "already_exists: the username is taken")
def create_user(data):
    """Create a user of any role; without a password a one-time password is generated and returned once"""
    return services.create_user(get_db(), actor=current_principal(), **data)


@blp.get("/users")
@allow(MANAGE_USERS)
@blp.arguments(UserListQuerySchema, location="query")
@blp.response(200, UserPageSchema, description="one page of users")
def list_users(query):
    """The users, by username"""
    return services.list_users(get_db(), actor=current_principal(), **query)


@blp.get("/users/<int:user_id>")
@allow(READ_USER)
@blp.response(200, UserSchema, description="the user")
def get_user(user_id: int):
    """One user (an admin may read anyone; others only themselves)"""
    return services.get_user(get_db(), actor=current_principal(), user_id=user_id)


@blp.patch("/users/<int:user_id>")
@allow(MANAGE_USERS)
@blp.arguments(UserUpdateSchema, required=False)
@blp.response(200, UserSchema, description="the user as they are now")
@blp.refuses(409, "last_admin: the last active admin cannot be deactivated or demoted")
def update_user(data, user_id: int):
    """Change a user's role, centers or name, or deactivate them (ends their sessions and tokens)"""
    return services.update_user(get_db(), actor=current_principal(), user_id=user_id, **data)


@blp.post("/users/<int:user_id>/reset-password")
@allow(MANAGE_VOLUNTEER_LOGINS)
@blp.response(200, NewUserSchema, description="the user, with one_time_password")
def reset_password(user_id: int):
    """Give a user a new one-time password (returned once), ending all their sessions and tokens"""
    return services.reset_password(get_db(), actor=current_principal(), user_id=user_id)
