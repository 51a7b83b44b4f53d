"""Models of the open-data API: the export query and the rows it answers with."""

from datetime import date, datetime

from pydantic import BaseModel, Field


class ExportQuery(BaseModel):
    incident_id: int | None = Field(None, ge=1)


class ExportPageQuery(ExportQuery):
    limit: int = Field(1000, ge=1, le=10000)
    offset: int = Field(0, ge=0)


class NeedExport(BaseModel):
    need_id: int
    incident_id: int
    incident: str
    title: str
    category: str
    adm1: str
    area: str
    lat: float
    lon: float
    quantity: int
    quantity_met: int
    unit: str
    priority: str
    status: str
    needed_by: date
    updated_at: datetime


class ThreeWExport(BaseModel):
    organization: str
    organization_type: str
    role: str
    sector: str
    project_id: int
    project: str
    activity: str
    incident_id: int
    incident: str
    adm1: str
    area: str
    lat: float | None
    lon: float | None
    start: date
    end: date
    status: str
    progress: int


class NeedExportPage(BaseModel):
    items: list[NeedExport]
    total: int
    licence: str


class ThreeWExportPage(BaseModel):
    items: list[ThreeWExport]
    total: int
    licence: str
