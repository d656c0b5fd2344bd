"""Service types: the kinds of service volunteers give (meal delivery, company, teaching…), each with its rate.

``models`` the table, ``rules`` what a code may be, ``services`` the use cases, ``schemas`` the HTTP contract,
``api`` its ``/api/v1`` views.
"""
