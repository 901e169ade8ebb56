import time

from django.core.management.base import BaseCommand

from leadfollow.scheduler import registered_ticks, run_due_ticks


class Command(BaseCommand):
    help = "Run the periodic ticks (SLA clocks, cadence dispatcher) in-process, without Redis."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="run every tick once and exit")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between checks")

    def handle(self, *args, once: bool, interval: float, **options) -> None:
        names = ", ".join(tick.name for tick in registered_ticks()) or "none"
        self.stdout.write(f"Scheduler running ticks: {names}")
        if once:
            run_due_ticks()
            return
        try:
            while True:
                run_due_ticks()
                time.sleep(interval)
        except KeyboardInterrupt:
            self.stdout.write("Scheduler stopped.")
