"""Users: the people who sign in (admin, staff, supervisors, volunteers), created and managed by the admin.

The table lives with sign-in in ``timebank.auth.models``; this feature is its management: ``rules`` usernames and
one-time passwords, ``services`` the use cases, ``schemas`` the HTTP contract, ``api`` its ``/api/v1`` views,
``views`` and ``templates/`` its pages, ``cli`` ``timebank users …``.
"""
