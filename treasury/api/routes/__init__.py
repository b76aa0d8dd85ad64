"""One router per resource family; wire models at the top of each module, thin handlers below."""
