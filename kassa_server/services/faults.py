"""The one table: exchange errors → SOAP Fault or soft error, with 1C's exact Russian texts (soap-services.md §9).

Handlers raise ``kassa_server.exchange.errors`` classes; ``soap_call`` turns them into spyne Faults (HTTP 500,
``faultcode`` Server, the Russian text as ``faultstring``). Soft errors are returned by the handlers themselves with
the texts defined here. Anything unexpected becomes a Fault with a generic text and an ERROR log with the traceback;
the traceback goes on the wire only when ``Settings.debug`` is on.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from lxml import etree
from spyne import Fault

from kassa_server.enterprisedata.versions import FORMAT_BASE_URI
from kassa_server.errors import DatabaseUnavailable
from kassa_server.exchange.errors import (
    ArchiveError,
    ArchiveTooLarge,
    BodyUnreadable,
    EmptyArchive,
    ExchangeError,
    FileNotFound,
    InvalidIdentifier,
    InvalidPartNumber,
    MessageNumberReused,
    MessageRejected,
    MissingBody,
    MissingConfirmation,
    MissingFileId,
    MissingNodeCode,
    NodeIdentityMismatch,
    NodeNotFound,
    ObjectWithoutRef,
    OperationNotSupported,
    PartNotFound,
    SyncAlreadyRunning,
    SyncDisabled,
    TransferNotFound,
    TransferQuotaExceeded,
    UnknownCashRegister,
    UnknownExchangePlan,
    UnknownSender,
    UnreadableMessage,
    UnsupportedFormatVersion,
    WrongRecipient,
)
from kassa_server.services.context import ServiceCall, current_call

logger = logging.getLogger(__name__)
T = TypeVar("T")

# -- texts [V SSL31/SSL31en unless marked]
SYNC_ALREADY_RUNNING = "Синхронизация данных уже выполняется."
SYNC_DISABLED = "Синхронизация данных запрещена администратором."
EXPORT_FAILED = "Ошибка при выгрузке данных через веб-сервис."
ARCHIVE_EMPTY = "Файл архива не содержит данных."
EDE_NODE_NOT_FOUND = "Заданный узел плана обмена не найден. Обратитесь к администратору приложения."
EDE_PART_NOT_FOUND = "Часть файла с указанным номером не найдена."
MISSING_FILE_ID = "Не указан идентификатор загружаемого файла."
NOT_SUPPORTED = "Операция не поддерживается."  # [I]
GENERIC_ERROR = "Ошибка при выполнении операции веб-сервиса."  # [I]
DATABASE_UNAVAILABLE = "Информационная база недоступна."  # [I]
EMPTY_REQUEST = "Пустой запрос: ожидается SOAP-конверт (Envelope) с вызовом операции в Body."  # [I]
EMPTY_BODY = "В теле SOAP-конверта (Body) нет вызова операции."  # [I]
FAULT_AS_REQUEST = "Запрос содержит SOAP Fault вместо вызова операции."  # [I]
INVALID_BASE64 = "Значение элемента {name} не является корректными данными base64."  # [I]
FORBIDDEN_DTD = "Запрос содержит DTD: объявления DTD и сущностей запрещены."  # [I]
TOO_MANY_ELEMENTS = "Запрос слишком велик: в нём более {limit} элементов XML."  # [I]
TOO_MANY_ATTRIBUTES = "Элемент {name} запроса содержит более {limit} атрибутов."  # [I]
UNKNOWN_CHARSET = "Неизвестная кодировка запроса: {charset}."  # [I]
NOT_IN_CHARSET = "Тело запроса не в кодировке {charset}."  # [I]
INT_OUT_OF_RANGE = "Значение {value} вне диапазона типа xs:int."  # [I]


def exchange_node_not_found(app_name: str, plan_synonym: str, node_code: str) -> str:
    """Exchange_2_0_1_6.TestConnection's soft error (soap-services.md §3.1)."""
    return f'В "{app_name}" не найдена настройка синхронизации данных "{plan_synonym}" с идентификатором "{node_code}".'


def operation_not_found(operation_id: str) -> str:
    return f"Не найдено длительной операции с идентификатором {operation_id}."


def file_not_found(file_id: str) -> str:
    return f"Файл с идентификатором {file_id} не обнаружен."


def part_not_found(part_no: int, transfer_id: str) -> str:
    return f"Не найден фрагмент {part_no} сессии передачи с идентификатором {transfer_id}"


def saved_part_not_found(part_no: int, transfer_id: str) -> str:
    return (
        f"Не найден фрагмент {part_no} сессии передачи с идентификатором {transfer_id}. "
        'Необходимо убедиться, что в настройках программы заданы параметры "Каталог временных файлов для Linux" и '
        '"Каталог временных файлов для Windows".'
    )


def no_parts_found(transfer_id: str) -> str:
    return f"Не найден ни один фрагмент сессии передачи с идентификатором {transfer_id}."


def node_not_registered(plan: str, node_code: str) -> str:
    return f"Не найден узел плана обмена; имя плана обмена {plan}; код узла {node_code}"


def create_exchange_failed(reason: str) -> str:
    """CreateExchange's fault (soap-services.md §3.1 [V-analog UNF])."""
    return f"При создании настройки обмена во второй информационной базе возникли ошибки: {reason}"


def unknown_plan(plan: str) -> str:
    """1C's metadata lookup failure for an unknown plan name (soap-services.md §3.1 [I])."""
    return f"Поле объекта не обнаружено ({plan})"


LOAD_FAILED = "Ошибка при загрузке сообщения обмена"
NO_CONFIRMATION = f"{LOAD_FAILED}: в заголовке нет подтверждения (Confirmation)."  # [I] SSL's error 9, worded
NO_BODY = f"{LOAD_FAILED}: после заголовка нет тела сообщения (Body)."  # [I] SSL's error 9, worded
NO_NODE_CODE = "В параметрах настройки не указан код узла."  # [I]


WRONG_RECIPIENT = "Получатель из сообщения обмена не соответствует ожидаемому."
"""Error 178 [V SSL31 ``ОбменДаннымиПовтИсп.СообщенияОбОшибках``, ``ОбменДаннымиXDTOСервер.ОткрытьФайлЗагрузки``]."""


def unknown_sender(plan: str, from_code: str) -> str:
    """[V SSL31 ``ОбменДаннымиXDTOСервер.ОткрытьФайлЗагрузки``]: ``From``/``NewFrom`` is not the calling node."""
    return f"Не найден узел обмена для загрузки данных. План обмена: {plan}, Идентификатор: {from_code}"


def unsupported_version(version: str) -> str:
    """[V SSL31 ``ОбменДаннымиXDTOСервер.ОткрытьФайлЗагрузки``] a version it has no conversion rules for."""
    return f'Версия "{version}" формата сообщения обмена "{FORMAT_BASE_URI}" не поддерживается.'


def rejection_text(exc: MessageRejected) -> str:
    """The 1C text of a refused message (enterprisedata.md §6); goes to ErrorMessage or the fault."""
    match exc:
        case UnreadableMessage():
            return f"Не удалось прочитать сообщение обмена: {exc.detail}"
        case UnsupportedFormatVersion():
            return unsupported_version(exc.version)
        case MissingConfirmation():
            return NO_CONFIRMATION
        case MissingBody():
            return NO_BODY
        case BodyUnreadable():
            return f"{LOAD_FAILED}: {exc.detail}"
        case WrongRecipient():
            return WRONG_RECIPIENT
        case UnknownSender():
            return unknown_sender(exc.plan, exc.from_code or "")
        case NodeIdentityMismatch():
            return f"Не найден узел обмена: {'; '.join(exc.problems)}"
        case ObjectWithoutRef():
            return f"{exc.object_type} without Ссылка"  # [I] no 1C text known; the object type is the useful part
        case UnknownCashRegister():
            return f"{exc.object_type} {exc.ref}: unknown КассаККМ and the node has no register"  # [I]
        case MissingNodeCode():
            return NO_NODE_CODE
    return exc.reason


def archive_too_large(limit: int) -> str:
    """An archive whose message inflates past ``Limits.max_message_bytes`` (or past the ratio limit) [I]."""
    return f"Файл архива не может быть распакован: размер сообщения обмена превышает допустимый ({limit} байт)."


def archive_unreadable(reason: str) -> str:
    """A payload the ZIP library cannot read; 1C shows the library's text (soap-services.md §3.1 [I])."""
    return f"Ошибка чтения файла архива: {reason}"


def invalid_part_number(part_no: int) -> str:
    return f"Неверный номер части файла: {part_no}. Части нумеруются с 1."  # [I]


def transfer_quota_exceeded(scope: str, limit: int) -> str:
    if scope == "transfer":
        return f"Превышен допустимый размер передаваемого файла ({limit} байт)."  # [I]
    return f"Превышен допустимый объем файлов, передаваемых в информационную базу ({limit} байт)."  # [I]


def message_number_reused(message_no: int) -> str:
    """A duplicate MessageNo with another content [I]: the device must number a new message anew."""
    return (
        f"Сообщение обмена с номером {message_no} было ранее принято с другим содержимым. "
        "Новые данные нужно отправить в сообщении со следующим номером."
    )


CLIENT_ERRORS = (InvalidPartNumber,)
"""Exchange errors that are the caller's mistake in the request itself: a Fault with ``faultcode`` Client."""


def fault_text(exc: ExchangeError) -> str:
    """The Russian text of an exchange error when it reaches the client as a Fault."""
    match exc:
        case UnknownExchangePlan():
            return unknown_plan(exc.plan)
        case NodeNotFound():
            return node_not_registered(exc.plan, exc.node_code)
        case FileNotFound():
            return file_not_found(exc.file_id)
        case PartNotFound():
            return part_not_found(exc.part_no, exc.transfer_id)
        case TransferNotFound():
            return no_parts_found(exc.transfer_id)
        case EmptyArchive():
            return ARCHIVE_EMPTY
        case ArchiveTooLarge():
            return archive_too_large(exc.limit)
        case ArchiveError():
            return archive_unreadable(exc.reason)
        case InvalidPartNumber():
            return invalid_part_number(exc.part_no)
        case TransferQuotaExceeded():
            return transfer_quota_exceeded(exc.scope, exc.limit)
        case MessageNumberReused():
            return message_number_reused(exc.message_no)
        case MessageRejected():
            return rejection_text(exc)
        case MissingFileId():
            return MISSING_FILE_ID
        case SyncAlreadyRunning():
            return SYNC_ALREADY_RUNNING
        case SyncDisabled():
            return SYNC_DISABLED
        case OperationNotSupported():
            return NOT_SUPPORTED
        case InvalidIdentifier():
            return f"Неверный формат идентификатора: {exc.value}"  # [I] the platform's UUID conversion error
    return str(exc)


class KassaFault(Fault):
    """A Fault as 1C sends it: ``faultcode`` Server, the Russian text, no ``detail`` (soap-services.md §11.2)."""

    def __init__(self, text: str, detail: str | None = None, *, faultcode: str = "Server") -> None:
        # lang: SOAP 1.2 writes it on Reason/Text; the texts are Russian
        super().__init__(faultcode=faultcode, faultstring=text, detail=detail, lang="ru")


SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
XML_NS = "http://www.w3.org/XML/1998/namespace"


def fault_envelope(soap_version: str, text: str, detail: str | None = None) -> tuple[str, bytes]:
    """(content type, body) of a Server Fault built without spyne, for a failure outside any handler.

    The transport answers with it when the SOAP stack itself fails, so that a client always gets a Fault in its own
    SOAP version (soap-services.md §9), never a bare HTTP 500.
    """
    if soap_version == "1.2":
        env = SOAP12_ENV
        fault = etree.Element(f"{{{env}}}Fault", nsmap={"soap": env})
        code = etree.SubElement(fault, f"{{{env}}}Code")
        etree.SubElement(code, f"{{{env}}}Value").text = "soap:Receiver"
        reason = etree.SubElement(fault, f"{{{env}}}Reason")
        etree.SubElement(reason, f"{{{env}}}Text", {f"{{{XML_NS}}}lang": "ru"}).text = text
        if detail is not None:
            etree.SubElement(fault, f"{{{env}}}Detail").text = detail
        content_type = "application/soap+xml; charset=utf-8"
    else:
        env = SOAP11_ENV
        fault = etree.Element(f"{{{env}}}Fault", nsmap={"soap": env})
        etree.SubElement(fault, "faultcode").text = "soap:Server"
        etree.SubElement(fault, "faultstring").text = text
        if detail is not None:
            etree.SubElement(fault, "detail").text = detail
        content_type = "text/xml; charset=utf-8"
    envelope = etree.Element(f"{{{env}}}Envelope", nsmap={"soap": env})
    etree.SubElement(envelope, f"{{{env}}}Body").append(fault)
    return content_type, etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def soap_call(ctx: Any, operation: str, handler: Callable[[ServiceCall], T]) -> T:
    """Run ``handler`` for the current call: record the operation, translate errors once, log one INFO line."""
    call = current_call(ctx)
    call.operation = operation
    started = time.perf_counter()
    try:
        return handler(call)
    except Fault as fault:
        _fault(call, str(fault.faultstring))
        raise
    except ExchangeError as exc:
        text = fault_text(exc)
        _fault(call, text)
        raise KassaFault(text, faultcode="Client" if isinstance(exc, CLIENT_ERRORS) else "Server") from exc
    except DatabaseUnavailable as exc:
        logger.error("%s: %s", operation, exc)
        _fault(call, DATABASE_UNAVAILABLE)
        raise KassaFault(DATABASE_UNAVAILABLE) from exc
    except Exception as exc:  # the services' catch-all (style.md §2): never a traceback on the wire unless debug
        logger.exception("unexpected error in %s.%s", call.service, operation)
        text = GENERIC_ERROR
        detail = traceback.format_exc() if call.deps.settings.debug else None
        _fault(call, text if detail is None else f"{text} {exc!r}")
        raise KassaFault(text if detail is None else f"{text} {exc!r}", detail) from exc
    finally:
        logger.info(
            "%s %s.%s node=%s outcome=%s %.0f ms",
            call.infobase.name,
            call.service,
            operation,
            shorten(call.node_code, call.deps.settings.limits.max_quoted_chars),
            call.outcome,
            (time.perf_counter() - started) * 1000,
        )


def _fault(call: ServiceCall, text: str) -> None:
    call.outcome = "fault"
    call.message = shorten(text, call.deps.settings.limits.max_quoted_chars)


def shorten(text: str, limit: int) -> str:
    """``text`` cut to about ``limit`` characters, keeping its start and end: how much of a client's value a fault,
    a log line or the journal quotes (issue 14 §6)."""
    if len(text) <= limit:
        return text
    half = max(limit // 2, 1)
    return f"{text[:half]}…{text[-half:]}"
