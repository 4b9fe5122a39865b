"""The lottery page (抽選, issue 18): the month's entries, taking and withdrawing them, the draw."""
