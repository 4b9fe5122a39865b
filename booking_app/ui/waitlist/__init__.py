"""キャンセル待ち (waiting lists) at the desk: the dialog of one slot and the today page's panel."""
