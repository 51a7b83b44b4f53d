"""Labels of the donations pages: offers and the don't-send list use the need categories."""

from recovery.service import CATEGORY_LABELS as CATEGORY

CATEGORY_LABELS = CATEGORY
CATEGORY_CHOICES = list(CATEGORY.items())
