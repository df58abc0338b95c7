"""USSD sessions by the gateway's session id, versioned so concurrent requests cannot both win."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from checkout.channels.ussd.ports import UssdSession, UssdStatus
from storage.models import UssdSessionRow

MAX_ERROR_LENGTH = 500


def _status(value: str) -> UssdStatus:
    try:
        return UssdStatus(value)
    except ValueError:
        return UssdStatus.ABANDONED


def to_session(row: UssdSessionRow) -> UssdSession:
    """The checkout record for a session row."""
    return UssdSession(
        session_id=row.session_id,
        phone=row.phone,
        service_code=row.service_code,
        network_code=row.network_code,
        text=row.text,
        screen=dict(row.screen),
        page=row.page,
        status=_status(row.status),
        version=row.version,
        updated_at=row.updated_at,
    )


class SqlUssdSessionRepository:
    """Sessions in the ``ussd_sessions`` table."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, session_id: str) -> UssdSession | None:
        """The stored session, or None."""
        row = await self._session.scalar(
            select(UssdSessionRow)
            .where(UssdSessionRow.session_id == session_id)
            .execution_options(populate_existing=True)
        )
        return to_session(row) if row is not None else None

    async def latest_of(self, phone: str, *, other_than: str) -> UssdSession | None:
        """The session of ``phone`` that changed last, leaving out session ``other_than``."""
        row = await self._session.scalar(
            select(UssdSessionRow)
            .where(UssdSessionRow.phone == phone, UssdSessionRow.session_id != other_than)
            .order_by(UssdSessionRow.updated_at.desc(), UssdSessionRow.id.desc())
            .limit(1)
            .execution_options(populate_existing=True)
        )
        return to_session(row) if row is not None else None

    async def save(self, session: UssdSession, *, now: datetime) -> bool:
        """Insert a new session (version 0) or update one still at its version.

        False when another request stored the session first: the unique session id refuses a
        second insert, and the version condition a second update.
        """
        ended_at = now if session.status is UssdStatus.ENDED else None
        if session.version == 0:
            try:
                async with self._session.begin_nested():
                    self._session.add(
                        UssdSessionRow(
                            session_id=session.session_id,
                            phone=session.phone,
                            service_code=session.service_code,
                            network_code=session.network_code,
                            text=session.text,
                            screen=session.screen,
                            page=session.page,
                            status=session.status.value,
                            version=1,
                            created_at=now,
                            updated_at=now,
                            ended_at=ended_at,
                        )
                    )
            except IntegrityError:
                return False
            return True
        result = await self._session.execute(
            update(UssdSessionRow)
            .where(
                UssdSessionRow.session_id == session.session_id,
                UssdSessionRow.version == session.version,
            )
            .values(
                text=session.text,
                screen=session.screen,
                page=session.page,
                status=session.status.value,
                version=session.version + 1,
                updated_at=now,
                ended_at=ended_at,
            )
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def record_end(
        self,
        *,
        session_id: str,
        phone: str,
        service_code: str,
        network_code: str,
        status: UssdStatus,
        gateway_status: str,
        error: str | None,
        now: datetime,
    ) -> None:
        """Record the gateway's end-of-session notice; a session never seen gets its own row."""
        values = {
            "status": status.value,
            "gateway_status": gateway_status[:32],
            "gateway_error": error[:MAX_ERROR_LENGTH] if error else None,
            "updated_at": now,
        }
        result = await self._session.execute(
            update(UssdSessionRow)
            .where(UssdSessionRow.session_id == session_id)
            .values(
                **values,
                version=UssdSessionRow.version + 1,
                ended_at=func.coalesce(UssdSessionRow.ended_at, now),
            )
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) == 1:
            return
        try:
            async with self._session.begin_nested():
                self._session.add(
                    UssdSessionRow(
                        session_id=session_id,
                        phone=phone,
                        service_code=service_code[:32],
                        network_code=network_code[:16],
                        text="",
                        screen={},
                        page=0,
                        version=1,
                        created_at=now,
                        ended_at=now,
                        **values,
                    )
                )
        except IntegrityError:
            # The session's first request was stored meanwhile: update that row instead.
            await self._session.execute(
                update(UssdSessionRow)
                .where(UssdSessionRow.session_id == session_id)
                .values(**values, version=UssdSessionRow.version + 1)
                .execution_options(synchronize_session=False)
            )
