"""Labels of the donations pages: offers and the don't-send list use the need categories."""

from recovery.labels import CATEGORY

CATEGORY_LABELS = CATEGORY
CATEGORY_CHOICES = list(CATEGORY.items())
