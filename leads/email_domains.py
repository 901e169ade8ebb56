"""Email domains that identify a mailbox provider rather than the lead's company."""

FREE_MAIL_DOMAINS = frozenset(
    {
        "aol.com",
        "gmail.com",
        "googlemail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "hotmail.com",
        "hotmail.co.uk",
        "hotmail.fr",
        "icloud.com",
        "live.com",
        "mac.com",
        "mail.com",
        "mail.ru",
        "me.com",
        "msn.com",
        "outlook.com",
        "proton.me",
        "protonmail.com",
        "qq.com",
        "web.de",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.fr",
        "yandex.ru",
        "ymail.com",
        "zoho.com",
        "fastmail.com",
        "hey.com",
        "comcast.net",
        "verizon.net",
        "att.net",
        "orange.fr",
        "free.fr",
        "t-online.de",
        "libero.it",
        "btinternet.com",
        "sky.com",
    }
)


def email_domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].lower()


def is_free_mail(email: str | None) -> bool:
    return email_domain(email) in FREE_MAIL_DOMAINS


def business_domain(email: str | None) -> str | None:
    """The company domain of a work address; None for free-mail and missing addresses."""
    domain = email_domain(email)
    return None if domain is None or domain in FREE_MAIL_DOMAINS else domain
