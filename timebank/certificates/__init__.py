"""Service certificates (志愿服务记录证明, SPEC §3.7): a volunteer's approved service, per service type and per year,
signed by a receipt of kind ``certificate``; as JSON, a printable A4 page and a PDF.

- ``rules``: periods, masking, the figures and their fingerprint (pure); ``wording``: the certificate's sentences,
  one source for the page and the PDF; ``queries``: the approved records of a period;
- ``models``: the certificates issued; ``services``: issue one (or reuse today's identical one) with its receipt;
- ``pdf``: the A4 PDF (fpdf2, a CJK TrueType font); ``api``, ``views``: the HTTP faces.
"""
