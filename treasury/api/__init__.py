"""The HTTP shell: the only package that imports FastAPI or Starlette.

Routes parse wire models, call one use case, and map its values to response models. Errors reach
`problems.py` unchanged and are rendered once as RFC 9457 problem+json.
"""
