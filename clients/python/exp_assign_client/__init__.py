"""A client of exp_assign for services built like the seed's BulkAssignmentService."""
from exp_assign_client.service import BulkAssignmentService, assignment_value, redis_key

__all__ = ["BulkAssignmentService", "assignment_value", "redis_key"]
