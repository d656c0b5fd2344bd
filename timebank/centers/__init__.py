"""Centers (养老服务中心): opened and changed by the city admin; staff and supervisors see the ones they work for.

``models`` the table, ``rules`` what a code may be, ``services`` the use cases, ``schemas`` the HTTP contract,
``api`` its ``/api/v1`` views, ``views`` and ``templates/`` its pages.
"""
