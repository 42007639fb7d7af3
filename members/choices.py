"""Coded fields of the member record (form 2-HSĐV), as the official statistics break them down.

Codes are stable English identifiers; labels are Vietnamese through gettext. The ethnic groups
follow the General Statistics Office's list of 54 groups (code 01 Kinh … 54 Rơ Măm); their names
are proper nouns and are not translated.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    MALE = "male", _("Nam")
    FEMALE = "female", _("Nữ")


class Ethnicity(models.TextChoices):
    KINH = "01", "Kinh"
    TAY = "02", "Tày"
    THAI = "03", "Thái"
    HOA = "04", "Hoa"
    KHMER = "05", "Khmer"
    MUONG = "06", "Mường"
    NUNG = "07", "Nùng"
    HMONG = "08", "Hmông"
    DAO = "09", "Dao"
    GIA_RAI = "10", "Gia Rai"
    NGAI = "11", "Ngái"
    E_DE = "12", "Ê Đê"
    BA_NA = "13", "Ba Na"
    XO_DANG = "14", "Xơ Đăng"
    SAN_CHAY = "15", "Sán Chay"
    CO_HO = "16", "Cơ Ho"
    CHAM = "17", "Chăm"
    SAN_DIU = "18", "Sán Dìu"
    HRE = "19", "Hrê"
    MNONG = "20", "Mnông"
    RA_GLAI = "21", "Ra Glai"
    XTIENG = "22", "Xtiêng"
    BRU_VAN_KIEU = "23", "Bru Vân Kiều"
    THO = "24", "Thổ"
    GIAY = "25", "Giáy"
    CO_TU = "26", "Cơ Tu"
    GIE_TRIENG = "27", "Gié Triêng"
    MA = "28", "Mạ"
    KHO_MU = "29", "Khơ Mú"
    CO = "30", "Co"
    TA_OI = "31", "Tà Ôi"
    CHO_RO = "32", "Chơ Ro"
    KHANG = "33", "Kháng"
    XINH_MUN = "34", "Xinh Mun"
    HA_NHI = "35", "Hà Nhì"
    CHU_RU = "36", "Chu Ru"
    LAO = "37", "Lào"
    LA_CHI = "38", "La Chí"
    LA_HA = "39", "La Ha"
    PHU_LA = "40", "Phù Lá"
    LA_HU = "41", "La Hủ"
    LU = "42", "Lự"
    LO_LO = "43", "Lô Lô"
    CHUT = "44", "Chứt"
    MANG = "45", "Mảng"
    PA_THEN = "46", "Pà Thẻn"
    CO_LAO = "47", "Cơ Lao"
    CONG = "48", "Cống"
    BO_Y = "49", "Bố Y"
    SI_LA = "50", "Si La"
    PU_PEO = "51", "Pu Péo"
    BRAU = "52", "Brâu"
    O_DU = "53", "Ơ Đu"
    RO_MAM = "54", "Rơ Măm"


class Religion(models.TextChoices):
    NONE = "none", _("Không")
    BUDDHISM = "buddhism", _("Phật giáo")
    CATHOLICISM = "catholicism", _("Công giáo")
    HOA_HAO = "hoa_hao", _("Phật giáo Hòa Hảo")
    CAO_DAI = "cao_dai", _("Cao Đài")
    PROTESTANTISM = "protestantism", _("Tin Lành")
    ISLAM = "islam", _("Hồi giáo")
    OTHER = "other", _("Tôn giáo khác")


class OccupationGroup(models.TextChoices):
    STATE_OFFICIAL = "state_official", _("Cán bộ, công chức từ cấp huyện trở lên")
    PARTY_FRONT_OFFICIAL = "party_front_official", _("Cán bộ Đảng, Mặt trận, đoàn thể")
    COMMUNE_OFFICIAL = "commune_official", _("Cán bộ, công chức xã, phường, thị trấn")
    VILLAGE_WORKER = "village_worker", _("Người hoạt động ở ấp, khu vực, tổ dân phố")
    PUBLIC_SERVICE = "public_service", _("Viên chức đơn vị sự nghiệp")
    ENTERPRISE = "enterprise", _("Quản lý, nhân viên, công nhân doanh nghiệp")
    FARMER = "farmer", _("Nông, lâm, ngư nghiệp")
    ARMED_FORCES = "armed_forces", _("Quân đội, công an")
    STUDENT = "student", _("Sinh viên")
    PUPIL = "pupil", _("Học sinh")
    OTHER = "other", _("Khác")


class GeneralEducation(models.TextChoices):
    LITERATE = "literate", _("Biết chữ")
    PRIMARY = "primary", _("Tiểu học")
    LOWER_SECONDARY = "lower_secondary", _("Trung học cơ sở")
    UPPER_SECONDARY = "upper_secondary", _("Trung học phổ thông")


class ProfessionalLevel(models.TextChoices):
    NONE = "none", _("Chưa qua đào tạo")
    ELEMENTARY = "elementary", _("Sơ cấp")
    INTERMEDIATE = "intermediate", _("Trung cấp")
    COLLEGE = "college", _("Cao đẳng")
    UNIVERSITY = "university", _("Đại học")
    MASTER = "master", _("Thạc sĩ")
    DOCTOR = "doctor", _("Tiến sĩ")


class AcademicTitle(models.TextChoices):
    NONE = "none", _("Không")
    ASSOCIATE_PROFESSOR = "associate_professor", _("Phó giáo sư")
    PROFESSOR = "professor", _("Giáo sư")


class PoliticalTheory(models.TextChoices):
    NONE = "none", _("Chưa qua đào tạo")
    ELEMENTARY = "elementary", _("Sơ cấp")
    INTERMEDIATE = "intermediate", _("Trung cấp")
    ADVANCED = "advanced", _("Cao cấp, cử nhân")
