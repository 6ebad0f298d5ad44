## The API reference page.
api-heading = Zentrale REST API v1
api-machine-readable = Machine-readable (OpenAPI 3.1):
api-tokens-link = Account › Personal API tokens
api-english = The reference below is the OpenAPI document's own text, in English. Error messages of the API follow the request's Accept-Language.
api-method = Method
api-path = Path
api-what = What it does
api-body = Body
api-responses = Responses
