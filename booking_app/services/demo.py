from booking_app.demo.seeder import *  # noqa: F401,F403  temporary: the lead repoints cli/app/screenshots and deletes this
