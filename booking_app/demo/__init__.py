"""The demo seeder (デモデータ): a tool above the services, like the ui, that fills a database with a
believable fiscal year of the centre. Nothing in services, store or domain imports it.

- ``seeder``: ``seed_demo``, the entry point (the ``seed-demo`` command, ``--demo`` start, screenshots)
- ``tables``: the made-up names, how rooms and the counter are used, the series and events
- ``groups``: the register of groups
- ``slots``: the in-memory occupancy and the slots a day's bookings ask for
- ``bookings``: bulk bookings written from ``services.booking_plan.plan_new_booking``, then settled
- ``year``: last year's and this year's bookings (series through the series service)
- ``visits``: walk-in tallies and the centre's events
- ``money``: payments, printing, voids, cash-ups
- ``insurance``: enrolments, premiums, accident reports
- ``centre``: the demo password and the receipt issuer
"""
