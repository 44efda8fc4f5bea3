"""WeChat Official Account, WeCom and DingTalk call intake at ``/v1/callbacks/{channel}/{tenant}``.

Each platform first verifies the URL (WeChat and WeCom: a GET with ``echostr``;
DingTalk: an encrypted ``check_url`` event), then posts every message signed
and, in safe mode, AES-encrypted with the tenant's keys (``channel_config``).
A message becomes a contact like any other; the answer in the same response is
the passive reply: the acknowledgement (or "added to your ticket") in the
ticket's language, encrypted the way the message came. A wrong signature, key
or timestamp answers 403 and writes nothing; an unconfigured tenant 404.
One module per platform; what they share is in ``common``.
"""
