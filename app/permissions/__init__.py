"""Who may do what: the one place that decides.

Each rule is a predicate (``can_*``) and, where lists are involved, a query
filter (``visible_*``) so pages, exports and searches apply the same rule.
Objects a user may not see are reported as missing (404) by the callers.
The rules live by domain in the modules beside this one; callers import this
package only (``from app import permissions``).
"""

from app.permissions.accounts import *  # noqa: F403
from app.permissions.courses import *  # noqa: F403
from app.permissions.materials import *  # noqa: F403
from app.permissions.training import *  # noqa: F403
