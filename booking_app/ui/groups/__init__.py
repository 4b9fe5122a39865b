"""登録団体: the register, a group's dialog and card, picking a group, import/export, 匿名化."""
