from craftplatform.errors import DomainError


class PageError(DomainError):
    default_message = "The page could not be changed."
