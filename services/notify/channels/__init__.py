"""Notify's delivery channels, one adapter per module: gateway webhooks (``webhook``), e-mail
over SMTP (``smtp``, threaded by ``mail_thread``), an SMS provider's API (``sms``); the
adapters configured for this process are in ``registry``.
"""
