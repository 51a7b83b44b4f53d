"""Labels of the donations pages: offers and the don't-send list use the need categories."""

from recovery.service import CATEGORY_LABELS as CATEGORY
from recovery.service import PRIORITY_LABELS

CATEGORY_LABELS = CATEGORY
CATEGORY_CHOICES = list(CATEGORY.items())
PRIORITY_CHOICES = list(PRIORITY_LABELS.items())
