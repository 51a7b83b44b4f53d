"""Browser pages of the donations domain, one module per audience."""

routes: list = []
nav: list = []
