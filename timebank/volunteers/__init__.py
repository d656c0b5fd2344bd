"""Volunteers: registered by staff (by hand or from a spreadsheet), each with a ledger account.

``models`` the table, ``rules`` phone numbers, names, ID card tails and birth years, ``services`` the use cases,
``csv_import`` the spreadsheet import, ``schemas`` the HTTP contract, ``api`` its ``/api/v1`` views, ``views`` and
``templates/`` its pages, ``cli`` ``timebank volunteers …``.
"""
