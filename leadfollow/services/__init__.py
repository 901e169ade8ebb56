"""State changes of the tenancy core, one public function per domain action."""
